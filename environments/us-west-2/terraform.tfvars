environment_suffix = "dev"

existing_secrets = {
  aurora_master = "payments/aurora-master"
  redis_auth    = "payments/redis-auth"
}
