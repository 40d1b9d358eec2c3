#include "google_calendar.hpp"

SLOTH_PLUGIN(gcalendar::GoogleCalendar, "gcalendar", "1.0.0")
