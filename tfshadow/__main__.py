from tfshadow.cli import main

main()
