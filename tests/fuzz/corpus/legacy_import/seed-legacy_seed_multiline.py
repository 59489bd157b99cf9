# -*- coding: utf-8 -*-
# 集成部署模块 (operation_utils/deploy/jiliang_deploy.py), written the way the users' notes
# write it: deploy_system(...) calls spread over several lines, others commented out.
import subprocess

container_list = [
    # ------------ 旧机器上的生产节点组---------------------
    {
        "host": "172.16.100.51",
        "dockers": ["jl_core_51_1"],
        "group": ["product"],
        "core": True
    },
    {
        "host": "172.16.100.52",
        "dockers": ["jl_slave_52_1", "jl_slave_52_2"],
        "group": ["product"],
        "core": False
    },
    {
        "host": "172.16.100.53",
        "dockers": ["jl_core_53_1"],
        "group": ["product_2"],
        "core": True
    },
    # ------------------ 新机器上的测试节点组-----------------------------------
    {
        "host": "172.16.100.141",
        "dockers": ["test_container_141"],
        "group": ["test"],
        "core": True
    },
    {
        "host": "172.16.100.142",
        "dockers": ["test_container_142"],
        "group": ["test"],
        "core": False
    },
]


def create_group_containers(group="test"):
    """Creates the containers of a group: create_group_containers(group="product")."""
    for unit in container_list:
        if group in unit["group"]:
            subprocess.call(["echo", "deploy_system(group=%s)" % group])


def deploy_system(group="test", enable_monitor=False, runtime_mode="test"):
    # 监控器开关 enable_monitor; 运行模式 runtime_mode
    for unit in container_list:
        if group in unit["group"]:
            subprocess.call(["echo", unit["host"], str(enable_monitor), runtime_mode])


if __name__ == "__main__":
    # ---------------------------------测试环境------------------------------
    # create_group_containers()
    # deploy_system()
    # ---------------------------------生产环境------------------------------
    deploy_system(group="product", 
        enable_monitor=True, 
        runtime_mode="dev_new")
    # create_group_containers(group="product")
    # -----------------------------------------------------------------------
    deploy_system(group="product_2", 
        enable_monitor=True,   # 监控器开关
        runtime_mode="dev_new",
    )
    # create_group_containers(group="product_2")
    # -----------------------------------------------------------------------
    # deploy_system(group="product_3", 
    #     enable_monitor=True, 
    #     runtime_mode="dev_new")
    # create_group_containers(group="product_3")
