from __future__ import annotations

from django.urls import path

from . import views

app_name = "shadowing"

urlpatterns = [
    path("", views.home, name="home"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("slots/new/", views.slot_new, name="slot_new"),
    path("slots/cancel/", views.slots_cancel, name="slots_cancel"),
    path("slots/<int:pk>/", views.slot_detail, name="slot_detail"),
    path("slots/<int:pk>/book/", views.slot_book, name="slot_book"),
    path("pending/", views.pending, name="pending"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking_detail"),
    path("bookings/<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("bookings/<int:pk>/check-in/", views.booking_check_in, name="booking_check_in"),
    path("bookings/<int:pk>/check-out/", views.booking_check_out, name="booking_check_out"),
    path("bookings/<int:pk>/verify/", views.booking_verify, name="booking_verify"),
    path("bookings/<int:pk>/no-show/", views.booking_no_show, name="booking_no_show"),
    path("bookings/<int:pk>/correct/", views.booking_correct, name="booking_correct"),
    path("bookings/<int:pk>/calendar.ics", views.booking_ics, name="booking_ics"),
    path("hours/", views.hours_view, name="hours"),
    path("certificates/", views.certificate_issue, name="certificate_issue"),
    path("certificates/<str:code>.pdf", views.certificate_download, name="certificate_download"),
    path("certificates/<str:code>/revoke/", views.certificate_revoke, name="certificate_revoke"),
    path("verify/<str:code>/", views.verify, name="verify"),
    path("calendar-feed/", views.feed_settings, name="feed_settings"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("patients/", views.patients_mine, name="patients_mine"),
    path("patients/sites/", views.patients_sites, name="patients_sites"),
    path("feedback/moderate/", views.feedback_moderation, name="feedback_moderation"),
    path("feedback/comments/<int:pk>/hide/", views.feedback_hide, name="feedback_hide"),
    path("feedback/<int:site_pk>/", views.feedback, name="feedback"),
    path("feedback/<int:site_pk>/poster/", views.feedback_poster, name="feedback_poster"),
    path("feedback/<int:site_pk>/qr.svg", views.feedback_qr, name="feedback_qr"),
]
