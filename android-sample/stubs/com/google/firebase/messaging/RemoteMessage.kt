// Compile-only stand-in for firebase-messaging's RemoteMessage, used by
// android-sample/check (scripts/check-samples.sh). Same names as the real
// class for what PushService reads (data, notification?.title) and what the
// tests build (Builder(to).setData(map).build()); nothing else.
package com.google.firebase.messaging

class RemoteMessage private constructor(val data: Map<String, String>, val notification: Notification?) {
    /** The push's `notification` block; the real one is filled in by Firebase. */
    class Notification(val title: String?, val body: String?)

    class Builder(@Suppress("UNUSED_PARAMETER") to: String) {
        private val data = LinkedHashMap<String, String>()

        fun setData(data: Map<String, String>): Builder = apply {
            this.data.clear()
            this.data.putAll(data)
        }

        fun build(): RemoteMessage = RemoteMessage(data.toMap(), null)
    }
}
