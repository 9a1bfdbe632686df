from django.apps import AppConfig


class IssuedConfig(AppConfig):
    """Documents issued by practitioners (prescriptions, consultation reports) and the
    public /verify pages. Its own app (label ``issued``) inside the documents package, so
    that its tables and migrations stay apart from the upload pipeline's."""

    name = "telegarde.documents.issued"
    label = "issued"
    verbose_name = "Documents délivrés"

    def ready(self) -> None:
        # Registers the access rules.
        from . import access  # noqa: F401
