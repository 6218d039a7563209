environment_suffix = "dev"
github_repository  = "example-org/tapguard"

stacks = {
  us-west-2 = { secret_names = ["payments/aurora-master", "payments/redis-auth"] }
  eu-west-1 = { secret_names = ["secret-redisauth-dev"] }
}
