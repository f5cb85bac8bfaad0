"""Request mode: citizens send requests for a reception; assistants screen them."""
