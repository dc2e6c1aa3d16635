# A small configuration for the demo: runs on the embedded Terraform, no cloud account needed.
variable "size" {
  type    = string
  default = "small"
}

variable "replicas" {
  type    = number
  default = 2
}

variable "db_password" {
  type      = string
  sensitive = true
  default   = "demo-only-password"
}

resource "terraform_data" "web" {
  count = var.replicas
  input = {
    size = var.size
    name = "web-${count.index}"
  }
}

resource "terraform_data" "db" {
  input = {
    engine   = "postgres"
    password = var.db_password
  }
}

output "web_names" {
  value = [for w in terraform_data.web : w.output.name]
}
