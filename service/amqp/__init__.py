"""RabbitMQ plumbing: the supervised connection, confirmed publishing, topology."""
