"""The lead poller: TRACE CRM leads become lead.created / lead.updated events."""
