"""Ghost instances: stopped copies of critical resources, ready to be started in one apply.

A ghost is built from the most recent known-good shadow version of a resource. tfshadow declares
it, in Terraform JSON configuration syntax, in a file it owns (``tfshadow_ghosts.tf.json``):
stopped while it stands by, running once it is activated. Recovery is then one apply that flips
a single argument.

:mod:`tfshadow.ghost.adapters` says, per resource type and as plain data, which arguments of the
known-good state make up the copy and how the copy is declared stopped and started.
"""
