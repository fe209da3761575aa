"""PostgresStore's staff-console methods: ``StaffMethods`` on this backend's SQL.

The login-attempt log is written, never read back with its personal column: all of this
runs as licmon's normal role."""

from licmon.store.postgres import console_sql, login_sql, report_sql, staff_sql, totp_sql
from licmon.store.postgres.plumbing import PostgresPlumbing
from licmon.store.staff_methods import StaffMethods


class PostgresStaff(StaffMethods, PostgresPlumbing):
    console_sql = console_sql
    login_sql = login_sql
    report_sql = report_sql
    staff_sql = staff_sql
    totp_sql = totp_sql
