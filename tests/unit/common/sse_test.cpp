#include "common/sse.hpp"

#include <gtest/gtest.h>

namespace switchyard::sse {
namespace {

TEST(DataEvent, OneLinePayload) {
  EXPECT_EQ(data_event(R"({"id":"1"})"), "data: {\"id\":\"1\"}\n\n");
}

TEST(DataEvent, EmptyPayload) { EXPECT_EQ(data_event(""), "data: \n\n"); }

TEST(DataEvent, MultiLinePayloadBecomesSeveralDataLines) {
  EXPECT_EQ(data_event("a\nb\nc"), "data: a\ndata: b\ndata: c\n\n");
}

TEST(DataEvent, EmptyLinesInsideThePayloadAreKept) {
  // A blank line would end the event early; as "data: " lines it stays inside the event.
  EXPECT_EQ(data_event("a\n\nb"), "data: a\ndata: \ndata: b\n\n");
  EXPECT_EQ(data_event("a\n"), "data: a\ndata: \n\n");
  EXPECT_EQ(data_event("\n"), "data: \ndata: \n\n");
}

TEST(DataEvent, PayloadThatLooksLikeAFieldStaysData) {
  EXPECT_EQ(data_event("event: x\nid: 5"), "data: event: x\ndata: id: 5\n\n");
}

TEST(NamedEvent, NameThenData) {
  EXPECT_EQ(named_event("error", R"({"error":{}})"), "event: error\ndata: {\"error\":{}}\n\n");
}

TEST(NamedEvent, MultiLinePayload) {
  EXPECT_EQ(named_event("log", "one\ntwo"), "event: log\ndata: one\ndata: two\n\n");
}

TEST(DoneEvent, OpenAiEndMarker) { EXPECT_EQ(done_event(), "data: [DONE]\n\n"); }

TEST(DoneEvent, SameAsADataEventOfDone) { EXPECT_EQ(done_event(), data_event("[DONE]")); }

TEST(ContentType, EventStream) { EXPECT_EQ(kContentType, "text/event-stream"); }

}  // namespace
}  // namespace switchyard::sse
