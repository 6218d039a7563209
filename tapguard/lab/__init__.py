"""A local HA lab on loopback: PostgreSQL 15 with pg_auto_failover and Redis with 3 Sentinels."""
