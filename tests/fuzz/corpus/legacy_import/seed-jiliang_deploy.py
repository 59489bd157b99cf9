# -*- coding: utf-8 -*-
# operation_utils/deploy/jiliang_deploy.py (legacy deploy script, trimmed to what
# `jlrec import-legacy` reads: the container list and the deploy_system calls).
import os
import subprocess

TEMPLATE = os.path.join(os.path.dirname(__file__), 'jiliang_docker_run_template.sh')
IMAGE = "jiliang/system:2.3"

container_list = [
    # ------------ 旧机器上的生产节点组---------------------
    {
        "host": "172.16.100.51",
        "dockers": ["jl_core_51_1"],
        "group": ["product"],
        "core": False
    },
    {
        "host": "172.16.100.51",
        "dockers": ["jl_slave_51_2"],
        "group": ["product"],
        "core": False
    },
    {
        "host": "172.16.100.52",
        "dockers": ["jl_slave_52_1", "jl_slave_52_2"],
        "group": ["product"],
        "core": False,
    },
    # ------------ 第二个生产节点组 -----------------------------------
    {'host': '172.16.100.53', 'dockers': ['jl_core_53_1'], 'group': ['product_2'], 'core': True},
    {'host': '172.16.100.54',
     'dockers': ['jl_slave_54_1', 'jl_slave_54_2',],   # two workers
     'group': ['product_2'],
     'core': False},
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


def _ssh(host, command):
    return subprocess.check_output(["ssh", "root@" + host, command])


def create_group_containers(group="test"):
    for unit in container_list:
        if group not in unit["group"]:
            continue
        for name in unit["dockers"]:
            _ssh(unit["host"], "docker run -d --name %s --network host %s" % (name, IMAGE))


def deploy_system(group="test", enable_monitor=False, runtime_mode="test"):
    with open(TEMPLATE) as f:
        template = f.read()
    for unit in container_list:
        if group not in unit["group"]:
            continue
        env = "export MONITOR_ENABLED=%s\nexport RUNTIME_MODE=%s\n" % (
            "true" if enable_monitor else "false", runtime_mode)
        for name in unit["dockers"]:
            _ssh(unit["host"], "docker exec %s sh -c 'cat > /run.sh'" % name)


if __name__ == "__main__":
    # ---------------------------------测试环境------------------------------
    # create_group_containers()
    # deploy_system()
    # ---------------------------------生产环境------------------------------
    deploy_system(group="product", enable_monitor=True, runtime_mode="dev_new")
    # create_group_containers(group="product")
    # -----------------------------------------------------------------------
    deploy_system(group="product_2", enable_monitor=True, runtime_mode="dev_new")
    # create_group_containers(group="product_2")
    # -----------------------------------------------------------------------
    # deploy_system(group="product_3", enable_monitor=True, runtime_mode="dev_new")
    # create_group_containers(group="product_3")
    # deploy_system(group="test", enable_monitor=False, runtime_mode="test")
