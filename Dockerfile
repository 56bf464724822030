# syntax=docker/dockerfile:1
# trace-bridge container: `docker build -t trace-bridge .`
# The builder installs the package and its runtime dependencies (no test extras) into a
# virtualenv; the runtime image gets only that virtualenv and runs as a non-root user.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY contracts ./contracts
COPY service ./service
RUN pip install --no-cache-dir .

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="trace-bridge" \
      org.opencontainers.image.description="Bridge between RabbitMQ and the TRACE energy-tariff platform" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TRACE_BRIDGE_HTTP_PORT=8080 \
    TRACE_BRIDGE_STATE_URL=sqlite:////var/lib/trace-bridge/state.db
RUN groupadd --system --gid 10001 bridge \
    && useradd --system --uid 10001 --gid bridge --home-dir /var/lib/trace-bridge \
       --create-home --shell /usr/sbin/nologin bridge
COPY --from=builder /opt/venv /opt/venv
WORKDIR /var/lib/trace-bridge
USER 10001:10001
EXPOSE 8080
# slim has no curl: ask /healthz with the standard library; any error exits non-zero.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('TRACE_BRIDGE_HTTP_PORT', '8080') + '/healthz', timeout=2)"]
ENTRYPOINT ["trace-bridge"]
CMD ["run"]
