"""The operational app (业务经办系统) on Flask-AppBuilder; `create_app` builds it on demand."""
