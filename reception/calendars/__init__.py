"""iCalendar: invitations for appointments and subscribable feeds."""
