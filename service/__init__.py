"""trace-bridge: moves energy-tariff events between RabbitMQ and TRACE."""

__version__ = "0.1.0"
