"""tlstui: a terminal capture explorer for troubleshooting TLS and DTLS."""

__version__ = "0.1.0"
