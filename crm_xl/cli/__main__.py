from crm_xl.cli import main

main()
