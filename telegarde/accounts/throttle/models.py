from django.db import models


class ThrottleState(models.Model):
    """One budget's state (embedded profile; Redis holds it when configured)."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.IntegerField(default=0)
    window_start = models.FloatField(default=0)
    consecutive = models.IntegerField(default=0)
    last_at = models.FloatField(default=0)

    def __str__(self) -> str:
        return self.key
