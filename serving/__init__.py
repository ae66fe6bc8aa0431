"""The BentoML service, its API schemas and the dashboard page. Depends on ``models`` and below."""
