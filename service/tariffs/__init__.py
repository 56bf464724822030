"""The tariff pipeline: tariff-changed events from RabbitMQ become TRACE uploads."""
