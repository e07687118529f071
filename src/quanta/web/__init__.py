"""The marketplace web UI: server-rendered pages over the API's services."""
