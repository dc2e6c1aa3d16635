# The api's CPU, sampled by `tfshadow agent --resource localcloud_instance.api --pid …`, judged
# by `tfshadow analyze` (the default analysis: medium sensitivity).
metrics "agent" {}

resource_metrics "localcloud_instance.api" {
  source  = "agent"
  metrics = ["cpu"]
}
