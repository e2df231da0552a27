"""Intake: the centres, clients, visits and group sessions a national employment service records."""
