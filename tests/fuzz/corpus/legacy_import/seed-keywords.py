IMAGE = 'r/img:1'
container_list = [{'host': '127.0.0.2', 'dockers': ['a', 'b'], 'group': ['g1', 'g2'], 'core': True}]
def deploy_system(group='test', enable_monitor=False, runtime_mode='test'):
    pass
# deploy_system('g1', True,
#   'dev')
if __name__ == "__main__":
    deploy_system(group='g1', enable_monitor=True,
                  runtime_mode='dev')
    create_group_containers('g2')
