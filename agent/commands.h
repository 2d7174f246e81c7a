/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Operator subcommands of ecs-agent. Each takes the arguments after its own
 * name (argv[0] is the subcommand) and returns the process exit status. */

/* validate-task-definition FILE...: prints "FILE: OK" or each problem as
 * "FILE: json.path: message"; 0 when all are valid, 1 when any is invalid,
 * 2 on usage or read errors. */
int cmd_validate_task_definition(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
/* image [--config FILE] load|ls|rm ...: the image store (runs ecs-agent-image). */
int cmd_image(int argc, char **argv);
