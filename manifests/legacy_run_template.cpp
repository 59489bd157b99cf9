#include "manifests/legacy_run_template.h"

namespace jlrec {

const std::string& LegacyRunTemplate() {
  // A copy, not a build step reading templates/: the binary must carry it when installed on
  // its own; legacy_import_test compares the two.
  static const std::string kTemplate = R"tmpl(#!/bin/sh
{{! The legacy /run.sh (operation_utils/deploy/jiliang_docker_run_template.sh). jlrec puts
    the export block (env, MONITOR_ENABLED, RUNTIME_MODE, JL_ROLE, JL_MASTER_HOST, JL_GROUP,
    JL_CONTAINER, JL_HOST) between the line above and this body. Mustache comments like this
    one are not rendered. Values are never pasted into the body: a tag naming an env entry
    renders as a quoted reference to the exported variable (see docs/manifest.md). }}
# {{container}} on {{host}}: group {{group}}, runtime mode {{runtime_mode}}.
# Every module has its own install.sh.
sh /workspace/jiliang_system/deploy/install.sh
sh /workspace/jiliang_monitor_pr/src/jiliang_process/deploy/install.sh
sh /workspace/jiliang_system/deploy/automapbuilding_z/install.sh
sh /workspace/jiliang_system/deploy/distributed_semantics/install.sh
{{#core}}
# Master only: this unit is its group's core ("core": True in the legacy container_list);
# the marker tells the modules (and operators) which container leads the group.
mkdir -p /tmp/jlrec-markers
echo "master of {{group}}" > /tmp/jlrec-markers/master
{{/core}}
{{^core}}
# Worker: the group's master runs on {{master_host}}.
{{/core}}
# jiliang_system/deploy/run.sh starts celery and logstash and stays in the foreground.
exec sh /workspace/jiliang_system/deploy/run.sh
)tmpl";
  return kTemplate;
}

}  // namespace jlrec
