package dev.gatewar.body;

import jakarta.servlet.http.HttpServletRequest;

import java.util.Enumeration;

/**
 * A request with a {@link JsonBody}: the tree is the attribute {@link JsonBody#TREE_ATTRIBUTE},
 * listed from the start but built the first time it is read, so a route where nobody reads it pays
 * only for the syntax check. Setting the attribute (even to the same, changed tree) replaces the
 * body; removing it restores the client's bytes.
 */
public final class JsonBodyRequest extends BufferedBodyRequest {
    private final JsonBody json;
    /** The attribute has been built, set or removed: from now on it is what the attribute store says. */
    private boolean treeSettled;

    public JsonBodyRequest(HttpServletRequest request, JsonBody json) {
        super(request, json);
        this.json = json;
    }

    @Override
    public Object getAttribute(String name) {
        if (!treeSettled && JsonBody.TREE_ATTRIBUTE.equals(name)) {
            treeSettled = true;
            super.setAttribute(JsonBody.TREE_ATTRIBUTE, json.parse());
        }
        return super.getAttribute(name);
    }

    @Override
    public Enumeration<String> getAttributeNames() {
        if (treeSettled) {
            return super.getAttributeNames();
        }
        return JsonBody.withTreeListed(super.getAttributeNames());
    }

    @Override
    public void setAttribute(String name, Object value) {
        if (JsonBody.TREE_ATTRIBUTE.equals(name)) {
            if (value == null) {
                removeAttribute(name);
                return;
            }
            treeSettled = true;
            json.replaceWith(value);
        }
        super.setAttribute(name, value);
    }

    @Override
    public void removeAttribute(String name) {
        if (JsonBody.TREE_ATTRIBUTE.equals(name)) {
            treeSettled = true;
            json.restoreOriginal();
        }
        super.removeAttribute(name);
    }
}
