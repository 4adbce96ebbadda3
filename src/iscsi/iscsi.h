/* SPDX-License-Identifier: MIT */
/* iSCSI wire constants, RFC 7143. */
#pragma once

#define ISCSI_BHS_LEN 48
#define ISCSI_DIGEST_LEN 4
#define ISCSI_MAX_AHS_LEN (255 * 4)
#define ISCSI_RSVD_TAG 0xffffffffu

/* Initiator opcodes. */
#define OP_NOP_OUT 0x00
#define OP_SCSI_CMD 0x01
#define OP_TMF_REQ 0x02
#define OP_LOGIN_REQ 0x03
#define OP_TEXT_REQ 0x04
#define OP_DATA_OUT 0x05
#define OP_LOGOUT_REQ 0x06
#define OP_SNACK 0x10

/* Target opcodes. */
#define OP_NOP_IN 0x20
#define OP_SCSI_RSP 0x21
#define OP_TMF_RSP 0x22
#define OP_LOGIN_RSP 0x23
#define OP_TEXT_RSP 0x24
#define OP_DATA_IN 0x25
#define OP_LOGOUT_RSP 0x26
#define OP_R2T 0x31
#define OP_ASYNC 0x32
#define OP_REJECT 0x3f

#define BHS_IMMEDIATE 0x40
#define BHS_OPCODE_MASK 0x3f
#define BHS_FINAL 0x80

/* AHS types. */
#define AHS_EXTENDED_CDB 1

/* Login flags (byte 1). */
#define LOGIN_TRANSIT 0x80
#define LOGIN_CONTINUE 0x40
#define LOGIN_CSG(b) (((b) >> 2) & 3)
#define LOGIN_NSG(b) ((b)&3)
#define STAGE_SECURITY 0
#define STAGE_OPERATIONAL 1
#define STAGE_FULL_FEATURE 3

/* Login status: class << 8 | detail. */
#define LOGIN_OK 0x0000
#define LOGIN_INITIATOR_ERROR 0x0200
#define LOGIN_AUTH_FAILED 0x0201
#define LOGIN_AUTHZ_FAILED 0x0202
#define LOGIN_NOT_FOUND 0x0203
#define LOGIN_TARGET_REMOVED 0x0204
#define LOGIN_UNSUPPORTED_VERSION 0x0205
#define LOGIN_TOO_MANY_CONNECTIONS 0x0206
#define LOGIN_MISSING_PARAMETER 0x0207
#define LOGIN_CANT_INCLUDE 0x0208
#define LOGIN_SESSION_TYPE_UNSUPPORTED 0x0209
#define LOGIN_NO_SESSION 0x020a
#define LOGIN_INVALID_DURING_LOGIN 0x020b
#define LOGIN_TARGET_ERROR 0x0300
#define LOGIN_SERVICE_UNAVAILABLE 0x0301
#define LOGIN_OUT_OF_RESOURCES 0x0302

/* Text Request and Response flags (byte 1). */
#define TEXT_CONTINUE 0x40

/* SCSI Command flags (byte 1). */
#define CMD_READ 0x40
#define CMD_WRITE 0x20

/* Data-In flags (byte 1). */
#define DATA_IN_ACK 0x40
#define DATA_IN_OVERFLOW 0x04
#define DATA_IN_UNDERFLOW 0x02
#define DATA_IN_STATUS 0x01

/* SCSI Response flags (byte 1). */
#define RSP_OVERFLOW 0x04
#define RSP_UNDERFLOW 0x02

/* Task management functions and responses. */
#define TMF_ABORT_TASK 1
#define TMF_ABORT_TASK_SET 2
#define TMF_CLEAR_ACA 3
#define TMF_CLEAR_TASK_SET 4
#define TMF_LUN_RESET 5
#define TMF_TARGET_WARM_RESET 6
#define TMF_TARGET_COLD_RESET 7
#define TMF_TASK_REASSIGN 8
#define TMF_RSP_COMPLETE 0
#define TMF_RSP_NO_TASK 1
#define TMF_RSP_NO_LUN 2
#define TMF_RSP_REASSIGN_UNSUPPORTED 4
#define TMF_RSP_NOT_SUPPORTED 5
#define TMF_RSP_REJECTED 255

/* Reject reasons. */
#define REJECT_DATA_DIGEST 0x02
#define REJECT_SNACK 0x03
#define REJECT_PROTOCOL_ERROR 0x04
#define REJECT_COMMAND_NOT_SUPPORTED 0x05
#define REJECT_INVALID_PDU_FIELD 0x09
#define REJECT_WAITING_FOR_LOGOUT 0x0c

/* Logout. */
#define LOGOUT_CLOSE_SESSION 0
#define LOGOUT_CLOSE_CONNECTION 1
#define LOGOUT_REMOVE_FOR_RECOVERY 2
#define LOGOUT_RSP_OK 0
#define LOGOUT_RSP_RECOVERY_UNSUPPORTED 2
