"""Start the provider; Terraform runs this through the executable that `install.mirror` writes."""

from __future__ import annotations


def main() -> None:
    """Serve the provider over the Terraform plugin protocol until Terraform stops it."""
    from tf.runner import run_provider  # type: ignore[import-untyped]

    from tfshadow.localcloud.provider import LocalCloud

    run_provider(LocalCloud())


if __name__ == "__main__":
    main()
