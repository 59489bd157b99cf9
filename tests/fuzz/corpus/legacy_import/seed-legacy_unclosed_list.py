# A legacy list with an elided part left in by hand: import-legacy must say where.
container_list = [
    {
        "host": "172.16.100.51",
        "dockers": ["jl_core_51_1"],
        "group": ["product"],
        "core": True
    },
    ...
]
