import { padVisible, shorten, visibleWidth, wrapWords } from "./text_width.ts";
import { assertEquals } from "./test_assert.ts";

Deno.test("visible width counts escapes and combining marks as nothing, glyphs as one", () => {
  assertEquals(visibleWidth("\x1b[2K██░░  −ELBO μ̂ …"), 15);
});

Deno.test("padding goes by visible width, on the left for right-aligned numbers", () => {
  assertEquals(padVisible("−1.5", 6, "right"), "  −1.5");
  assertEquals(padVisible("β = 4", 7), "β = 4  ");
  assertEquals(padVisible("too wide", 3), "too wide");
});

Deno.test("shortening marks the cut with an ellipsis within the width", () => {
  assertEquals(shorten("evaluate", 5), "eval…");
  assertEquals(shorten("train", 5), "train");
  assertEquals(shorten("train", 0), "");
});

Deno.test("wrapping breaks between words, never inside one", () => {
  assertEquals(wrapWords("log p(x) IW is the bound at k = 1,000", 12), [
    "log p(x) IW",
    "is the bound",
    "at k = 1,000",
  ]);
  assertEquals(wrapWords("a 123456789012 b", 5), ["a", "123456789012", "b"]);
});
