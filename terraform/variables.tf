variable "region" {
  description = "AWS region of the state bucket, the lock table and the registry."
  type        = string
}

variable "state_bucket_name" {
  description = "Name of the state bucket (globally unique). Changing it replaces the bucket."
  type        = string
}

variable "lock_table_name" {
  description = "Name of the DynamoDB lock table (the S3 backend's dynamodb_table)."
  type        = string
  default     = "reporunner-terraform-locks"
}

variable "repositories" {
  description = "Repositories made up front below the prefix; others are made on first push."
  type        = list(string)
  default     = []
}

variable "noncurrent_version_days" {
  description = "Days an overwritten state file is kept as a noncurrent version."
  type        = number
  default     = 90
}

variable "untagged_image_days" {
  description = "Days an untagged image is kept."
  type        = number
  default     = 1
}

variable "run_image_days" {
  description = "Days a run image is kept after its push."
  type        = number
  default     = 30
}
