// The single type-ID block: every type that crosses an actor boundary.
#pragma once

#include <vector>

#include "caf/type_id.hpp"

#include "messages/interfaces.hpp"
#include "messages/status.hpp"
#include "messages/types.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(dynserv, caf::first_custom_type_id)

  CAF_ADD_TYPE_ID(dynserv, (dynserv::server_status))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::error_kind))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::cloud_state))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::provider_error))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::cloud_server))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::create_request))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::provider_reply))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::server_record))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::pool_record))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::event_record))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::scale_reply))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::pool_status))
  CAF_ADD_TYPE_ID(dynserv, (std::vector<dynserv::event_record>) )
  CAF_ADD_TYPE_ID(dynserv, (std::vector<dynserv::pool_status>) )
  CAF_ADD_TYPE_ID(dynserv, (std::vector<dynserv::pool_record>) )
  CAF_ADD_TYPE_ID(dynserv, (std::vector<dynserv::scale_reply>) )
  CAF_ADD_TYPE_ID(dynserv, (dynserv::limits_info))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::rate_budget))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::guardrail_step))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::decision_record))
  CAF_ADD_TYPE_ID(dynserv, (std::vector<dynserv::decision_record>) )
  CAF_ADD_TYPE_ID(dynserv, (std::vector<dynserv::server_record>) )
  CAF_ADD_TYPE_ID(dynserv, (dynserv::webhook_cursor))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::webhook_status))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::rollout_record))
  CAF_ADD_TYPE_ID(dynserv, (dynserv::breaker_record))
  CAF_ADD_TYPE_ID(dynserv, (std::vector<dynserv::webhook_status>) )
  CAF_ADD_TYPE_ID(dynserv, (dynserv::webhook_actor))

CAF_END_TYPE_ID_BLOCK(dynserv)
