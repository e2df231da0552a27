"""Event contracts shared by every service: topics now, the envelope and payload registry next."""
