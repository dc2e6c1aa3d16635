"""Start the provider; Terraform runs this through the executable that `install.mirror` writes."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Serve the provider over the Terraform plugin protocol until Terraform stops it."""
    from tf.runner import run_provider  # type: ignore[import-untyped]

    from tfshadow.localcloud.provider import LocalCloud

    run_provider(LocalCloud())
    # Terraform waits for the plugin to exit after every use, and tearing down the gRPC
    # server's threads at interpreter exit costs a tenth of a second each time.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
