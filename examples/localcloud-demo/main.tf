# `tfshadow demo`'s infrastructure on localcloud: an api process, its database, an edge mapping.
# The story's bad change is variables only: -var load=0.9 -var cache_size=16. To run it by hand,
# write a CLI configuration for the provider's mirror (see tfshadow.localcloud.install), point
# TF_CLI_CONFIG_FILE at it, then `tfshadow init` and `tfshadow apply` here.

terraform {
  required_providers {
    localcloud = { source = "local/tfshadow/localcloud" }
  }
}

variable "service" {
  description = "Path of service.py. `tfshadow demo` sets it absolute in demo.auto.tfvars."
  type        = string
  default     = "service.py"
}

variable "load" {
  description = "Share of each 20 ms tick the api spends computing (0 to 1)."
  type        = number
  default     = 0.05
}

variable "cache_size" {
  description = "The orders database's SQLite page cache (negative: KiB)."
  type        = number
  default     = -8000
}

resource "localcloud_datastore" "orders" {
  name         = "orders"
  journal_mode = "wal"
  cache_size   = var.cache_size
}

# The path of service.py comes from a variable, not from abspath(path.module): `tfshadow revert`
# plans in a scratch copy of this directory, removed once it is done, where path.module is
# another directory.
resource "localcloud_instance" "api" {
  command = [
    "python3", var.service,
    "--db", localcloud_datastore.orders.path,
    "--load", tostring(var.load),
  ]
}

resource "localcloud_network" "edge" {
  name        = "edge"
  listen_port = 18080
  target_port = 18081
}

output "api_pid" {
  value = localcloud_instance.api.pid
}
