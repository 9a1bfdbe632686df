from django.urls import path

from .consumers import RoomConsumer

websocket_urlpatterns = [
    path("ws/consultation/<uuid:room_id>/", RoomConsumer.as_asgi()),
]
