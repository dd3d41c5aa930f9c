//! A received `Offer{object: SharingTerms}`: a followed peer tells us what
//! it shares with us, for which purpose and for how long.

use crate::apub::activities::agreement::OfferAgreement;
use crate::context::Context;
use crate::error::Result;
use crate::sharing;
use crate::store::PeerRow;

pub(super) async fn received(ctx: &Context, sender: &PeerRow, offer: OfferAgreement) -> Result<()> {
    sharing::terms::offered(ctx, sender, &offer).await
}
