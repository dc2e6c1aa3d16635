"""`localcloud`: a Terraform provider whose resources are real processes on this machine.

See `tfshadow.localcloud.install` for how Terraform finds it. Nothing is imported here: Terraform
starts the provider several times per command, so its start-up cost is kept small.
"""
