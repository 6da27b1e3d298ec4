"""Anthropic's Messages API and the canonical (OpenAI chat) format, in both directions.

The one import point for callers; the work is split by direction:

- ``anthropic_egress``: the gateway calls an Anthropic target with a canonical request
  (``chat_request_to_messages``, ``message_to_chat_completion``, ``MessagesEventsToChatChunks``).
- ``anthropic_ingress``: an Anthropic client calls the gateway and the target speaks the canonical
  format (``messages_request_to_chat``, ``chat_completion_to_message``, ``ChatChunksToMessagesEvents``).
"""

from __future__ import annotations

from trueport.formats.anthropic_egress import (
    DEFAULT_MAX_TOKENS,
    MessagesEventsToChatChunks,
    UsageCounter,
    chat_request_to_messages,
    finish_reason,
    message_to_chat_completion,
    openai_usage,
    usage_from_anthropic,
)
from trueport.formats.anthropic_ingress import (
    ChatChunksToMessagesEvents,
    anthropic_usage,
    chat_completion_to_message,
    messages_request_to_chat,
    stop_reason,
    translate_messages_request,
)

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "ChatChunksToMessagesEvents",
    "MessagesEventsToChatChunks",
    "UsageCounter",
    "anthropic_usage",
    "chat_completion_to_message",
    "chat_request_to_messages",
    "finish_reason",
    "message_to_chat_completion",
    "messages_request_to_chat",
    "openai_usage",
    "stop_reason",
    "translate_messages_request",
    "usage_from_anthropic",
]
