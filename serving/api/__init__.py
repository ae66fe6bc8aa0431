"""The read API of the service, one router per resource (mounted by :func:`serving.app.create_app`)."""
