"""Reception time: schedules, sessions, slots, unified reception days, visiting receptions."""
