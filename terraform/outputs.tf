# The contract with the Pulumi side: stacks/bootstrap.ts (TERRAFORM_OUTPUTS) reads these names.
locals {
  registry_host = "${data.aws_caller_identity.current.account_id}.dkr.ecr.${var.region}.amazonaws.com"
}

output "state_bucket" {
  value = aws_s3_bucket.state.bucket
}

output "state_bucket_arn" {
  value = aws_s3_bucket.state.arn
}

output "lock_table" {
  value = aws_dynamodb_table.locks.name
}

output "registry_url" {
  value = local.registry_host
}

output "repository_arn_pattern" {
  value = "arn:${data.aws_partition.current.partition}:ecr:${var.region}:${data.aws_caller_identity.current.account_id}:repository/${local.image_prefix}/*"
}
