from licmon.cli import main

main()
