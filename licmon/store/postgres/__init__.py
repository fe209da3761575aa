"""The PostgreSQL backend (several nodes on one database): every SQL statement licmon sends
to PostgreSQL lives in this package. Needs the ``postgres`` extra (psycopg 3)."""
