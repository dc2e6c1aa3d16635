"""`tfshadow demo`: the whole story, told for real on this machine.

:mod:`tfshadow.demo.workspace` builds a temporary directory where Terraform finds the
``localcloud`` provider, and ends every process the story starts there; :mod:`tfshadow.demo.story`
runs the steps, each one a real ``tfshadow`` command whose output is shown as it comes.

Unlike the rest of the core, this package writes to a console: telling the story is its job.
"""
