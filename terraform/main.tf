# The hybrid baseline for teams that start from nothing: the state bucket, the lock table and the
# ECR side of RepoRunner's hybrid mode, with the same settings as the Pulumi bootstrap stack
# (stacks/bootstrap.ts). Apply it once with local state, then move its state into the bucket it made
# (backend.tf.example). The outputs are what the bootstrap stack reads with `baseline: terraform`.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 7.0"
    }
  }
}

# Credentials: the AWS SDK's default chain (AWS_PROFILE, SSO, env). Nothing is stored here.
provider "aws" {
  region = var.region
  default_tags {
    tags = { "app.kubernetes.io/managed-by" = "reporunner" }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# ---------------------------------------------------------------- state bucket
resource "aws_s3_bucket" "state" {
  bucket = var.state_bucket_name
  tags   = { "reporunner.dev/purpose" = "state" }
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_policy" "state_tls_only" {
  bucket     = aws_s3_bucket.state.id
  depends_on = [aws_s3_bucket_public_access_block.state]
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket     = aws_s3_bucket.state.id
  depends_on = [aws_s3_bucket_versioning.state]
  rule {
    id     = "expire-noncurrent-state-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days           = var.noncurrent_version_days
      newer_noncurrent_versions = 10
    }
    expiration {
      expired_object_delete_marker = true
    }
  }
  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

# ---------------------------------------------------------------- lock table
resource "aws_dynamodb_table" "locks" {
  name                        = var.lock_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "LockID"
  deletion_protection_enabled = true
  attribute {
    name = "LockID"
    type = "S"
  }
  server_side_encryption {
    enabled = true
  }
  point_in_time_recovery {
    enabled = true
  }
  tags = { "reporunner.dev/purpose" = "terraform-lock" }
}

# ---------------------------------------------------------------- ECR
locals {
  # RepoRun pushes <registry>/reporunner/<service>:<content hash> (components/run/image-commands.ts).
  image_prefix = "reporunner"
  image_lifecycle_policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "expire untagged images after ${var.untagged_image_days} days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.untagged_image_days
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "expire run images ${var.run_image_days} days after their push"
        selection = {
          tagStatus   = "any"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.run_image_days
        }
        action = { type = "expire" }
      },
    ]
  })
}

resource "aws_ecr_repository" "run" {
  for_each             = toset(var.repositories)
  name                 = "${local.image_prefix}/${each.key}"
  image_tag_mutability = "MUTABLE"
  force_delete         = true
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "AES256"
  }
  tags = { "reporunner.dev/purpose" = "run-images" }
}

resource "aws_ecr_lifecycle_policy" "run" {
  for_each   = aws_ecr_repository.run
  repository = each.value.name
  policy     = local.image_lifecycle_policy
}

resource "aws_ecr_repository_creation_template" "run" {
  prefix               = local.image_prefix
  applied_for          = ["CREATE_ON_PUSH"]
  description          = "repositories of RepoRunner run images, made on their first push"
  image_tag_mutability = "MUTABLE"
  lifecycle_policy     = local.image_lifecycle_policy
  encryption_configuration {
    encryption_type = "AES256"
  }
  resource_tags = { "reporunner.dev/purpose" = "run-images" }
}

resource "aws_ecr_registry_scanning_configuration" "run" {
  scan_type = "BASIC"
  rule {
    scan_frequency = "SCAN_ON_PUSH"
    repository_filter {
      filter      = "${local.image_prefix}/*"
      filter_type = "WILDCARD"
    }
  }
}
