"""Placeholder: issue 12's store part replaces this file with PostgreSQL's staff."""

from licmon.store.postgres.pending import not_yet
from licmon.store.postgres.plumbing import PostgresPlumbing
from licmon.store.staff_base import StaffStore


class PostgresStaff(StaffStore, PostgresPlumbing):
    pass


not_yet(PostgresStaff, StaffStore)
