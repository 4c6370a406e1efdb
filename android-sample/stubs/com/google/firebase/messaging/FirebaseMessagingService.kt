// Compile-only stand-in for firebase-messaging's FirebaseMessagingService,
// used by android-sample/check (scripts/check-samples.sh), where Firebase
// (an Android library outside Maven Central) is not available. Only what
// PushService overrides; the app build uses the real class.
package com.google.firebase.messaging

import android.app.Service
import android.content.Intent
import android.os.IBinder

abstract class FirebaseMessagingService : Service() {
    open fun onMessageReceived(message: RemoteMessage) {}

    open fun onNewToken(token: String) {}

    // Firebase binds the service itself; apps never do.
    final override fun onBind(intent: Intent?): IBinder? = null
}
